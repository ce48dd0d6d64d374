"""The documented import path of rendering: `from planar_cfn.render import render`.
Defined in planar_cfn.template.render."""

from .template.render import Rendered, render, template_path

__all__ = ["Rendered", "render", "template_path"]
