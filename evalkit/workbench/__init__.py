"""The reviewer's widgets: the unit workbench, the year's explorer, and saving decisions."""

from evalkit._lazy import exports

__getattr__ = exports(
    __name__,
    {
        "app": "evalkit.workbench.editor",
        "Workbench": "evalkit.workbench.editor",
        "explorer": "evalkit.workbench.explorer",
        "save_decisions": "evalkit.workbench.store",
    },
)
