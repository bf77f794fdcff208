"""Recipients: the read model of customers' contact facts, consent and SMS opt-outs."""
