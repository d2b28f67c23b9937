"""Where bytes are read and published: local folders and object stores behind one interface."""
