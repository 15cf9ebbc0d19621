"""One module per Lambda, each a Chalice blueprint with exactly one handler."""
