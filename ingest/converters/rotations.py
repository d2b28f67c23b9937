"""Euler-angle conventions of cryo-ET tools → portal ``xyz_rotation_matrix`` (and back), all through scipy.

The portal matrix R maps the reference frame into the tomogram (``p_tomo = R @ p_ref + location``), i.e.
RELION's matrix A. In scipy terms uppercase axes are intrinsic, lowercase extrinsic, and ``.inv()`` is the
transpose. All angles are in degrees; every function takes arrays of shape (n,) and returns (n, 3, 3).
DESIGN.md section 4 ("Points") lists the conventions and the test vectors pinned in tests/test_rotations.py.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial.transform import Rotation

Matrices = NDArray[np.float64]


def _stack(*angles: ArrayLike) -> NDArray[np.float64]:
    return np.column_stack([np.asarray(a, dtype=np.float64).reshape(-1) for a in angles])


def _from_euler(seq: str, angles: NDArray[np.float64]) -> Rotation:
    """``Rotation.from_euler(seq, angles, degrees=True)`` for three-axis sequences, composed in numpy.

    scipy 1.17 spends about 5 µs a rotation in ``from_euler`` (5 s for a million particles, twice the time starfile
    takes to read them); the same rotations composed from per-axis quaternions and handed to ``from_quat`` cost a
    small fraction of that. Uppercase axes are intrinsic (q1 q2 q3), lowercase extrinsic (q3 q2 q1), as in scipy.
    """
    halves = np.radians(angles) / 2.0
    elementary = []
    for index, axis in enumerate(seq.lower()):
        quaternion = np.zeros((len(angles), 4))
        quaternion[:, "xyz".index(axis)] = np.sin(halves[:, index])
        quaternion[:, 3] = np.cos(halves[:, index])
        elementary.append(quaternion)
    first, second, third = elementary if seq.isupper() else elementary[::-1]
    return Rotation.from_quat(_quaternion_product(_quaternion_product(first, second), third))


def _quaternion_product(p: NDArray[np.float64], q: NDArray[np.float64]) -> NDArray[np.float64]:
    """Hamilton product of scalar-last quaternions (n, 4): the rotation of ``q`` followed by that of ``p``."""
    px, py, pz, pw = p.T
    qx, qy, qz, qw = q.T
    return np.column_stack(
        [
            pw * qx + px * qw + py * qz - pz * qy,
            pw * qy - px * qz + py * qw + pz * qx,
            pw * qz + px * qy - py * qx + pz * qw,
            pw * qw - px * qx - py * qy - pz * qz,
        ]
    )


def relion_to_matrix(rot: ArrayLike, tilt: ArrayLike, psi: ArrayLike) -> Matrices:
    """RELION ``rlnAngleRot/Tilt/Psi`` (also TOMOMAN and RELION 4/5): intrinsic ZYZ, inverted."""
    return np.asarray(_from_euler("ZYZ", _stack(rot, tilt, psi)).inv().as_matrix())


def matrix_to_relion(matrices: Matrices) -> NDArray[np.float64]:
    """The inverse of :func:`relion_to_matrix`: (n, 3) columns rot, tilt, psi in degrees."""
    with warnings.catch_warnings():
        # Gimbal lock (tilt 0 or 180) has infinitely many answers; scipy picks psi = 0, which is still exact.
        warnings.filterwarnings("ignore", message="Gimbal lock", category=UserWarning)
        return np.asarray(Rotation.from_matrix(matrices).inv().as_euler("ZYZ", degrees=True))


def stopgap_to_matrix(phi: ArrayLike, the: ArrayLike, psi: ArrayLike) -> Matrices:
    """STOPGAP motivelist ``phi, the, psi``: extrinsic zxz, not inverted."""
    return np.asarray(_from_euler("zxz", _stack(phi, the, psi)).as_matrix())


def dynamo_to_matrix(tdrot: ArrayLike, tilt: ArrayLike, narot: ArrayLike) -> Matrices:
    """Dynamo table ``tdrot, tilt, narot``: extrinsic zxz, inverted."""
    return np.asarray(_from_euler("zxz", _stack(tdrot, tilt, narot)).inv().as_matrix())


def tom_to_matrix(phi: ArrayLike, theta: ArrayLike, psi: ArrayLike) -> Matrices:
    """TOM / AV3 motivelist ``phi, theta, psi`` (rows 17, 19, 18): extrinsic zxz, not inverted."""
    return np.asarray(_from_euler("zxz", _stack(phi, theta, psi)).as_matrix())


def imod_slicer_to_matrix(x: ArrayLike, y: ArrayLike, z: ArrayLike) -> Matrices:
    """IMOD slicer angles ``x, y, z``: extrinsic xyz of the negated angles."""
    angles = -_stack(x, y, z)
    return np.asarray(_from_euler("xyz", angles).as_matrix())


def reverse_axes(matrices: Matrices) -> Matrices:
    """The matrix for positions whose columns were reversed (``order: zyx``): ``M[::-1, ::-1]``."""
    return np.ascontiguousarray(matrices[..., ::-1, ::-1])


def rotation_defects(matrices: Matrices, tolerance: float = 1e-6) -> NDArray[np.intp]:
    """Indices of matrices that are not proper rotations (orthonormal with determinant +1 within tolerance)."""
    if len(matrices) == 0:
        return np.zeros(0, dtype=np.intp)
    identity = np.eye(3)
    gram = np.einsum("nji,njk->nik", matrices, matrices)
    orthonormal_error = np.abs(gram - identity).max(axis=(1, 2))
    determinant_error = np.abs(np.linalg.det(matrices) - 1.0)
    bad = (orthonormal_error > tolerance) | (determinant_error > tolerance) | ~np.isfinite(matrices).all(axis=(1, 2))
    return np.flatnonzero(bad)
