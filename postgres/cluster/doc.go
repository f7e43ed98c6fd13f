// Package cluster runs a private PostgreSQL cluster for development and tests.
//
// The cluster is made on first use from the system's PostgreSQL binaries in a
// directory of the project (var/pg by default), listens on 127.0.0.1 only with
// trust authentication, and is reused by later runs: a second Start finds the
// server running, or starts it again on the port it had. PostgreSQL refuses to
// run as root, so when the process is root the server runs as the postgres
// system user and owns the directory.
//
// The directory holds:
//
//	data/          the data directory (PGDATA); data/gridsentry.conf holds the settings and is rewritten at every start
//	postgres.log   the server log
//	port           the port of the last start, reused while it is free
//	start.lock     held while a process starts the cluster
//	run/           the Unix socket directory, or a directory under /tmp when this path is too long for a socket
//	replication    present when replicas stream from the cluster (EnableReplication), or it is one (StartReplica)
//
// A cluster on its own runs with wal_level minimal, which lets a bulk load
// skip the WAL. EnableReplication makes it a primary (wal_level replica, WAL
// senders, replication connections on loopback), and StartReplica makes
// another directory (var/pg-replica) a hot-standby streaming replica of it:
// a pg_basebackup copy with standby.signal, its primary_conninfo in
// data/gridsentry-standby.conf, rewritten at each start.
//
// The settings suit bulk loads on a developer's machine without putting the data
// at risk: fsync stays on; synchronous_commit is off, so a crash can lose the
// last fraction of a second of commits but never corrupts the cluster.
package cluster
