"""`topo show`: everything the kernel and topo's files say about a lab on this node, per
namespace: interfaces, routes, neighbours, processes and hosts entries (collect.py gathers
it, neigh.py reads the neighbour tables over netlink, table.py draws it)."""
