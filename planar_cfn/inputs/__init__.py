"""What a stack may be given, and the checks on it: the input constraints, the
template's Parameters and cross-field Rules, the stages, stage files, and the options
of a deploy or a publish. The lowest layer but the error vocabulary and file paths:
it imports nothing else of planar_cfn."""
