"""accomp: case files, weekly hours and funders' figures for the intensive support of jobseekers."""

__version__ = "0.1.0"
