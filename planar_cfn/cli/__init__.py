"""The command line: flags into the library's options, and the library's results and
errors into lines and an exit code. planar_cfn.__main__.console is its entry point."""
