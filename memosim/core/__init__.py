"""Sans-I/O protocol core: codec, reassembly and the Memoer state machine."""
