"""`topo ui`: a local web page of a lab, drawn from its file, with the kernel's live state.

`netlink` reads interface counters and listens for the kernel's link, address and route
events in the lab's namespaces; `view` turns the file, the live state and the plan into what
the page shows; `watch` recomputes that on every event (and each second, for the counters)
and hands it to the page's streams; `server` is the Starlette app (server-sent events)."""
