"""Tests of evalkit.synthetic (a package, so its conftest does not shadow other folders' conftest modules)."""
