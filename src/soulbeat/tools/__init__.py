"""The tools a beat may call besides its answer and its actions (issue 15): built-in read-only
tools (`builtin`), memory tools (`memory_tools`), MCP servers' tools (`mcp_client`), put
together per beat and allow-listed by `registry`."""
