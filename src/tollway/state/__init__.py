"""Runtime state shared by the data plane's requests (and, in a cluster, its nodes): rate-limit
buckets and quota counters, the stage cache, the authorizer cache, change notifications.

Each kind is a small interface with an in-process implementation (the default) and a Redis
one (`--state redis://...`, shared by every gateway process given the same URL); redis.py
holds the one client and the outage guard they share.
"""
