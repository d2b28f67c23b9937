"""Models generated from the LinkML schema in schema/ (do not edit the generated modules by hand)."""
