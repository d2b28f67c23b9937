"""Pick files of every supported tool to portal ndJSON, and back to tool formats."""
