from oncoguide.cli import app

app(prog_name="oncoguide")
