"""`python -m hfcolor ...`: the same command line as the `hfcolor` script."""

if __name__ == "__main__":
    from hfcolor.cli import main

    raise SystemExit(main())
