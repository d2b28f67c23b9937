"""Acquisition files of a tilt series: mdoc, CTF estimates, alignments, gains."""
