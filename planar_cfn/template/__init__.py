"""The CloudFormation template: a stack's configuration, one module per resource
concern (network, load balancer, service, database, storage, secrets, IAM, ...), the
assembly of them all (stack), and its rendering to the bytes written to templates/."""
