"""The one way to AWS: sessions, clients and their retry mode, every AWS error
translated into planar_cfn.errors, and the clock that bounds every wait."""
