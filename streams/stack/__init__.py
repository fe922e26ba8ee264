"""``servicepulse stack up|down|status``: the whole pipeline on loopback, without Docker.

``up`` starts, in this order and each on a free 127.0.0.1 port:

1. Apache Kafka from ``deploy/kafka/kafka.sh`` (KRaft, state in ``DIR/kafka``);
2. ``servicepulse topics`` (the interaction and dead-letter topics, ``--partitions``);
3. the demo team-lead webhook receiver (``deploy/stack/team_lead.py``);
4. Alertmanager with the routing tree of ``deploy/alertmanager/render.py``, every
   team lead's webhook pointed at that receiver;
5. ``--workers`` Faust workers (``servicepulse worker``), one consumer group;
6. Prometheus with the project's rule files (``deploy/prometheus/rules``), scraping
   every worker, alerting to that Alertmanager;
7. the simulator (``servicepulse simulate``) producing to Kafka in real time.

Everything lives in one folder (``--dir``, default ``var/stack``): ``stack.json``
(pids, ports, command lines), ``logs/<process>.log``, and each process's state.
Every process gets ``SERVICEPULSE_STACK=<dir>`` in its environment, so ``down``
finds even a process it has no pid for (a child of a child). ``down`` stops them in
reverse order (SIGTERM to each process group, SIGKILL after ``--timeout``) and
fails unless none is left. Linux only (``/proc``).

Modules, one concern each:

- ``layout``: the checkout's files, the state folder's names, the default ports;
- ``processes``: a process's identity (pid + start time), the marker, stopping groups;
- ``ports``: free loopback ports, an HTTP readiness probe;
- ``alertmanager``, ``prometheus``: the configurations the stack renders;
- ``options``: what ``up`` is asked for, and the binaries it needs;
- ``supervisor``: one stack folder (state file, spawn, wait until ready, ``down``);
- ``services``: starting each service; ``orchestrate``: ``up`` in order;
- ``command``: the CLI.
"""
