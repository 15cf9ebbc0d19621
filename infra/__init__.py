"""What turns the code into a stack: merge template, build-and-validate, the local stack."""
