"""`python -m specadvisor`; a Ctrl-C even while this line imports the entry point exits 130 without a traceback."""

try:
    from specadvisor.cli.entry import main
except KeyboardInterrupt:
    raise SystemExit(130) from None

main()
