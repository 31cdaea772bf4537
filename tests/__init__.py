"""The test suite (a package, so test modules named like the project packages never shadow them)."""
