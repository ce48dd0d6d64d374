"""What the command reports about a rendered template without deploying it: the
monthly cost estimate and its price table, and the architecture diagram."""
