"""Assembles one stage's template; each module adds its concern and hands the
next the handles it needs."""

from __future__ import annotations

from troposphere import Template

from . import __version__
from .database import add_database
from .dns import add_alias_record, add_certificate
from .encryption import add_encryption
from .firewall import add_firewall
from .iam import add_roles
from .load_balancer import add_load_balancer
from .naming import Naming
from .network import add_network
from .outputs import add_outputs
from .parameters import add_parameters
from .secrets import add_secrets
from .service import add_service
from .stages import get_stage
from .storage import add_storage


def build_template(stage_name: str) -> Template:
    stage = get_stage(stage_name)
    naming = Naming(stage.name)
    template = Template(
        Description=f"Planar application stack, stage {stage.name} (planar-cfn {__version__})"
    )
    params = add_parameters(template)
    encryption = add_encryption(template, naming, stage, params)
    network = add_network(template, naming, params)
    secrets = add_secrets(template, naming, stage, params, encryption)
    storage = add_storage(template, naming, stage, params, encryption)
    database = add_database(template, naming, stage, params, network, encryption)
    roles = add_roles(template, naming, params, secrets, storage, database, encryption)
    domain = add_certificate(template, naming, params)
    load_balancer = add_load_balancer(template, naming, stage, params, network, domain)
    add_firewall(template, naming, params, load_balancer.load_balancer)
    add_alias_record(template, params, domain, load_balancer.load_balancer)
    service = add_service(
        template,
        naming,
        stage,
        params,
        network,
        secrets,
        storage,
        database,
        roles,
        load_balancer,
        encryption,
    )
    add_outputs(template, params, secrets, storage, database, roles, domain, load_balancer, service)
    return template
