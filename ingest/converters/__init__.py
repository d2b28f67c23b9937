"""Pure converters: source arrays and tables in, portal values out (no storage IO here)."""
