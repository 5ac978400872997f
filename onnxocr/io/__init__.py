"""Document I/O: image decoding, readers that turn inputs into pages, one writer per output format, drawing."""
