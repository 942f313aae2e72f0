"""Running a class on several kdviz replicas behind HAProxy: the replica launcher, the balancer's
configuration and the one command that starts replicas, balancer and board database together."""
