"""One module per command: parse the arguments, call one library function, render the result."""
