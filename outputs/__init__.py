"""Outputs in one home: one writer per output, registered in :data:`WRITERS`.

``cc.write`` (and so every ``carecircle`` command) runs the registered writers of its
command (``audit`` or ``site``) in order, into a staging folder moved into ``--out`` at the
end. This layer may import both :mod:`carecircle.analysis` and :mod:`carecircle.maps`;
neither imports it. A new output is one :class:`Writer` registered from anywhere::

    from carecircle.outputs import Writer, register_writer

    with register_writer(Writer(name="summary.txt", write=my_writer)):
        cc.write(result, "out/")  # also writes what my_writer(job) writes
"""

from __future__ import annotations

from carecircle.outputs.builtin import BUILTIN_WRITERS
from carecircle.outputs.registry import KINDS, Registration, WriteJob, Writer, WriterRegistry
from carecircle.outputs.run import write_outputs

#: Every output carecircle writes, by name (the built-ins, plus those registered).
WRITERS = WriterRegistry(BUILTIN_WRITERS)


def register_writer(writer: Writer, registry: WriterRegistry | None = None) -> Registration:
    """Register an output in :data:`WRITERS` (or ``registry``); see :meth:`WriterRegistry.register`.

    Parameters
    ----------
    writer : Writer
        The output.
    registry : WriterRegistry, optional
        Another registry (tests).

    Returns
    -------
    Registration
        Handle that unregisters it (``remove()``, or the end of a ``with`` block).
    """
    return (registry or WRITERS).register(writer)


__all__ = [
    "BUILTIN_WRITERS",
    "KINDS",
    "WRITERS",
    "Registration",
    "WriteJob",
    "Writer",
    "WriterRegistry",
    "register_writer",
    "write_outputs",
]
