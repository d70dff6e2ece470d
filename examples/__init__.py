"""The fictional example records and the script that renders them (a package so that `python -m
examples.build` finds this folder before the `examples` package that pysbd installs in site-packages)."""
