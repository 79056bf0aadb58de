"""Reading documents: reading order and paragraphs, tables (ruled or aligned), and printed
key-value pairs."""
