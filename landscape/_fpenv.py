"""Flush-to-zero / denormals-are-zero for CPU kernel threads (x86-64 only).

float32 trajectories that converge towards 0 decay into subnormal numbers,
which x86 processors handle in microcode, 5-10x slower.  JAX sets FTZ/DAZ;
Numba does not.  ``set_ftz()`` sets both bits in the calling thread's MXCSR
and returns the previous register value, ``restore_fpenv(old)`` puts it
back, so kernels can scope the change to their own work inside each worker
thread.  On other architectures both are no-ops.  ``poll(flag)`` reads a
stop flag that another thread may set while a kernel runs.
"""

from __future__ import annotations

import platform

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

_X86 = platform.machine().lower() in ("x86_64", "amd64")
_FTZ_DAZ = 0x8040  # bit 15: flush to zero, bit 6: denormals are zero


def _mxcsr_call(builder, name, ptr):
    mod = builder.module
    fnty = ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer()])
    fn = mod.globals.get(name)
    if fn is None:
        fn = ir.Function(mod, fnty, name=name)
    builder.call(fn, [builder.bitcast(ptr, ir.IntType(8).as_pointer())])


@intrinsic
def set_ftz(typingctx):
    """Set FTZ|DAZ in this thread's MXCSR; return the old MXCSR (int64)."""
    sig = types.int64()

    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)
        if not _X86:
            return ir.Constant(ir.IntType(64), 0)
        slot = builder.alloca(i32)
        _mxcsr_call(builder, "llvm.x86.sse.stmxcsr", slot)
        old = builder.load(slot)
        builder.store(builder.or_(old, ir.Constant(i32, _FTZ_DAZ)), slot)
        _mxcsr_call(builder, "llvm.x86.sse.ldmxcsr", slot)
        return builder.zext(old, ir.IntType(64))

    return sig, codegen


@intrinsic
def restore_fpenv(typingctx, old):
    """Load ``old`` (from :func:`set_ftz`) back into MXCSR."""
    sig = types.none(types.int64)

    def codegen(context, builder, signature, args):
        if _X86:
            i32 = ir.IntType(32)
            slot = builder.alloca(i32)
            builder.store(builder.trunc(args[0], i32), slot)
            _mxcsr_call(builder, "llvm.x86.sse.ldmxcsr", slot)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def poll(typingctx, flag):
    """``flag[0]`` of an int64 array, read atomically: another thread may set it mid-kernel.

    An atomic load is never hoisted out of a loop or cached in a register,
    so a kernel that polls a stop flag between steps sees it set promptly.
    """
    sig = types.int64(flag)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        return builder.load_atomic(ary.data, "monotonic", 8)

    return sig, codegen
