"""Who the agent is: SOUL.md, HEARTBEAT.md, skills and the other bootstrap files.

Parsers (``parse_front_matter``, ``parse_heartbeat_md``, ``parse_cadence``, ``truncate_for_cap``,
``apply_caps``, ``due_tasks``) are pure and take text or values; the loaders (``load_soul``,
``load_skills``, ``load_bootstrap_files``, ``load_workspace``) read files and turn every odd file
into a diagnostic rather than an exception.
"""

from soulbeat.workspace.bootstrap import (
    BOOTSTRAP_ORDER,
    BootstrapFile,
    BootstrapResult,
    TruncationWarning,
    apply_caps,
    load_bootstrap_files,
    truncate_for_cap,
)
from soulbeat.workspace.front_matter import parse_front_matter
from soulbeat.workspace.heartbeat_md import (
    HeartbeatInstructions,
    Section,
    is_heartbeat_content_effectively_empty,
    parse_heartbeat_md,
)
from soulbeat.workspace.loader import (
    Workspace,
    find_heartbeat_file,
    load_workspace,
    read_text_file,
)
from soulbeat.workspace.skills import Skill, SkillLoadResult, load_skills
from soulbeat.workspace.soul import (
    Soul,
    SoulLoadResult,
    find_lowercase_soul,
    format_soul_for_system_prompt,
    load_soul,
)
from soulbeat.workspace.tasks import Cadence, Task, check_cadence, due_tasks, parse_cadence

__all__ = [
    "BOOTSTRAP_ORDER",
    "BootstrapFile",
    "BootstrapResult",
    "Cadence",
    "HeartbeatInstructions",
    "Section",
    "Skill",
    "SkillLoadResult",
    "Soul",
    "SoulLoadResult",
    "Task",
    "TruncationWarning",
    "Workspace",
    "apply_caps",
    "check_cadence",
    "due_tasks",
    "find_heartbeat_file",
    "find_lowercase_soul",
    "format_soul_for_system_prompt",
    "is_heartbeat_content_effectively_empty",
    "load_bootstrap_files",
    "load_skills",
    "load_soul",
    "load_workspace",
    "parse_cadence",
    "parse_front_matter",
    "parse_heartbeat_md",
    "read_text_file",
    "truncate_for_cap",
]
