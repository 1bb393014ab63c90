"""Runtime state shared by the data plane's requests (and, in a cluster, its nodes).

Default implementations live in process memory; cluster ones (Redis) come later behind the
same interfaces.
"""
