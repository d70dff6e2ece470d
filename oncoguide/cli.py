"""The `oncoguide` command: analyze records, evaluate on a dataset, check the data files."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from extractors.ingest import IngestError
from oncoguide.datacheck import lint_all
from oncoguide.domain import Analysis, Document, Finding

app = typer.Typer(
    help="OncoGuide: medical records in, a cited plain-language guide out. Not medical advice.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
kb_app = typer.Typer(help="The knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
console = Console(stderr=True, soft_wrap=True)  # one line per error, whatever the width
EXIT_BAD_INPUT = 2


class OutputFormat(StrEnum):
    JSON = "json"
    MD = "md"
    HTML = "html"
    PDF = "pdf"


@app.command()
def analyze(
    files: Annotated[list[Path], typer.Argument(help="The patient's records: PDF, text or page images.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")] = Path("out"),
    formats: Annotated[
        list[OutputFormat] | None,
        typer.Option("--format", "-f", help="Output formats (repeatable); default all."),
    ] = None,
    ocr: Annotated[bool, typer.Option(help="OCR pages that have no text layer.")] = True,
) -> None:
    """Read one patient's records and write their profile and guidance."""
    from oncoguide.pipeline import MixedPatients, assemble, read_and_extract
    from oncoguide.render import render_html, render_markdown, render_summary

    documents: list[Document] = []
    findings: list[Finding] = []
    rejected: list[str] = []
    with _progress() as progress:
        files_task = progress.add_task("files", total=len(files))
        for path in files:
            pages_task = progress.add_task(f"  {path.name}", total=None)

            def on_page(done: int, total: int, task: int = pages_task) -> None:
                progress.update(task, completed=done, total=total)

            try:
                document, found = read_and_extract(path, ocr=ocr, on_page=on_page)
            except IngestError as error:
                rejected.append(str(error))
            except OSError as error:
                rejected.append(f"{path}: cannot read ({error.strerror or error})")
            else:
                documents.append(document)
                findings.extend(found)
            progress.remove_task(pages_task)
            progress.advance(files_task)
    for message in rejected:
        console.print(f"[red]error:[/red] {message}", highlight=False)
    if not documents:
        raise typer.Exit(EXIT_BAD_INPUT)

    try:
        analysis = assemble(documents, findings)
    except MixedPatients as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    for document in documents:
        for warning in document.warnings:
            console.print(f"[yellow]warning:[/yellow] {document.filename}: {warning}", highlight=False)
    typer.echo(render_summary(analysis))
    written = _write_outputs(analysis, out, formats or list(OutputFormat), render_markdown, render_html)
    for path in written:
        typer.echo(f"wrote {path}")
    if rejected:
        raise typer.Exit(EXIT_BAD_INPUT)


def _write_outputs(analysis: Analysis, out: Path, formats, render_markdown, render_html) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    renderers = {
        OutputFormat.JSON: ("analysis.json", lambda: analysis.model_dump_json(indent=2)),
        OutputFormat.MD: ("guidance.md", lambda: render_markdown(analysis)),
        OutputFormat.HTML: ("guidance.html", lambda: render_html(analysis)),
        # Imported when asked for, like the other renderers: fpdf2 loads only for a PDF.
        OutputFormat.PDF: (
            "guidance.pdf",
            lambda: __import__("oncoguide.render", fromlist=["render_pdf"]).render_pdf(analysis),
        ),
    }
    written = []
    for output_format in dict.fromkeys(formats):
        name, render = renderers[output_format]
        path = out / name
        content = render()
        if isinstance(content, bytes):  # the PDF
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@app.command("eval")
def evaluate(
    dataset: Annotated[Path, typer.Argument(help="A JSONL dataset in the format of shared/data/README.md.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    predictions: Annotated[
        Path | None, typer.Option(help="Write each record's predicted values (JSONL).")
    ] = None,
    errors: Annotated[Path | None, typer.Option(help="Write the wrong records (JSONL).")] = None,
) -> None:
    """Score the pipeline on a labeled dataset of report texts."""
    from oncoguide.eval_report import print_scores
    from oncoguide.evaluation import score
    from oncoguide.pipeline import predict_report

    try:
        records = [
            json.loads(line) for line in dataset.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
    except (OSError, json.JSONDecodeError) as error:
        console.print(f"[red]error:[/red] {dataset}: not a readable JSONL dataset ({error})", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    predicted, quotes = {}, {}
    with _progress() as progress:
        for record in progress.track(records, description="reports"):
            prediction = predict_report(record["text"], record["id"])
            predicted[record["id"]], quotes[record["id"]] = prediction.fields, prediction.quotes
    scores = score(dataset.name, records, predicted)
    if predictions:
        _write_jsonl(predictions, ({"id": rid, **fields} for rid, fields in predicted.items()))
    if errors:
        _write_jsonl(
            errors, ({**miss.as_dict(), "quote": quotes[miss.id].get(miss.field)} for miss in scores.wrong)
        )
    if as_json:
        typer.echo(json.dumps(scores.as_dict(), indent=2))
    else:
        print_scores(scores, Console(width=None if sys.stdout.isatty() else 160))


def _write_jsonl(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


@app.command()
def lint() -> None:
    """Validate every data file: lexicons, patterns, stage tables, rules and knowledge."""
    _report(lint_all(), "data files: ok")


def _report(problems: list[str], ok: str) -> None:
    """Each problem on its own line and exit 1, or one line saying all is well."""
    for problem in problems:
        console.print(f"[red]{problem}[/red]", highlight=False)
    if problems:
        raise typer.Exit(1)
    typer.echo(ok)


@kb_app.command("check")
def kb_check() -> None:
    """Check the knowledge base: sources, references, codes and reading level."""
    from knowledge.lint import check_kb

    _report(check_kb(), "knowledge base: ok")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A general question about cancer, in your own words.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Answer a general question from the knowledge base's own cited passages (exit 1: no answer)."""
    from knowledge.ask import answer, render_answer

    result = answer(question)
    typer.echo(json.dumps(result.as_dict(), indent=2) if as_json else render_answer(result))
    if result.passage is None:
        raise typer.Exit(1)


@kb_app.command("grade")
def kb_grade(
    examples: Annotated[
        Path | None, typer.Option(help="Folder of patients, one subfolder of PDFs each; default examples/.")
    ] = None,
    kb_dir: Annotated[Path | None, typer.Option("--kb", hidden=True, help="Another knowledge base.")] = None,
) -> None:
    """Print the reading grade (Flesch-Kincaid) of each example's guidance and of the knowledge base."""
    from statistics import mean

    from knowledge.engine import build_guidance
    from knowledge.lint import MAX_GRADE, guidance_grades, passage_grades, statement_grades
    from knowledge.rules import KB_DIR, load_kb
    from oncoguide.paths import EXAMPLES
    from oncoguide.pipeline import analyze

    kb_dir = kb_dir or KB_DIR
    kb = load_kb(kb_dir)
    groups: list[tuple[str, list[tuple[str, float]]]] = []
    for folder in sorted(p for p in (examples or EXAMPLES).iterdir() if p.is_dir()):
        if pdfs := sorted(folder.glob("*.pdf")):
            profile = analyze(pdfs).profile
            groups.append((f"patient {folder.name}", guidance_grades(build_guidance(profile, kb_dir), kb)))
    groups += [("knowledge base statements", statement_grades(kb)), ("ask passages", passage_grades(kb))]
    typer.echo(f"Flesch-Kincaid US grade of the patient-facing text (limit {MAX_GRADE:g})")
    above: list[str] = []
    for name, grades in groups:
        if not grades:
            continue
        worst_id, worst = max(grades, key=lambda item: item[1])
        typer.echo(
            f"{name}: {len(grades)} statements, mean {mean(g for _, g in grades):.1f}, "
            f"max {worst:.1f} ({worst_id})"
        )
        above += [f"{name}: {item} reads at grade {grade:.1f}" for item, grade in grades if grade > MAX_GRADE]
    for line in above:
        console.print(f"[red]{line}[/red]", highlight=False)
    if above:
        raise typer.Exit(1)


@app.command()
def explain(
    analysis_json: Annotated[Path, typer.Argument(help="An analysis.json written by `analyze`.")],
) -> None:
    """Print why each guidance statement is there: rule, facts, evidence and sources."""
    from knowledge.engine import explain as explain_guidance

    try:
        analysis = Analysis.model_validate_json(analysis_json.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        console.print(
            f"[red]error:[/red] {analysis_json}: not a readable analysis.json ({type(error).__name__})"
        )
        raise typer.Exit(EXIT_BAD_INPUT) from None
    typer.echo(explain_guidance(analysis.guidance))
