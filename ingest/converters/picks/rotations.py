"""Euler-angle conventions of cryo-ET tools → portal ``xyz_rotation_matrix`` (and back).

The portal matrix R maps the reference frame into the tomogram (``p_tomo = R @ p_ref + location``), i.e.
RELION's matrix A. Conventions are written in scipy's notation (uppercase axes intrinsic, lowercase extrinsic,
``.inv()`` the transpose); angles → matrices is composed in numpy, matrices → angles goes through scipy. All
angles are in degrees; every function takes arrays of shape (n,) and returns (n, 3, 3). docs/design.md §4
("Points") lists the conventions and the test vectors pinned in tests/test_rotations.py.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial.transform import Rotation

Matrices = NDArray[np.float64]


def _stack(*angles: ArrayLike) -> NDArray[np.float64]:
    return np.column_stack([np.asarray(a, dtype=np.float64).reshape(-1) for a in angles])


Entries = list[list[NDArray[np.float64] | float]]  # a 3×3 matrix of per-rotation arrays or constants


def _axis_rotation(axis: str, angle: NDArray[np.float64]) -> Entries:
    """The active rotation by ``angle`` (radians) about ``axis``, as 3×3 entries."""
    c, s = np.cos(angle), np.sin(angle)
    if axis == "x":
        return [[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]]
    if axis == "y":
        return [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]]
    return [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]


def _product(a: Entries, b: Entries) -> Entries:
    """a @ b entry by entry, skipping the constant zeros and ones of elementary rotations."""
    return [[_dot([a[i][k] for k in range(3)], [b[k][j] for k in range(3)]) for j in range(3)] for i in range(3)]


def _dot(
    row: list[NDArray[np.float64] | float], column: list[NDArray[np.float64] | float]
) -> NDArray[np.float64] | float:
    total: NDArray[np.float64] | float = 0.0
    for x, y in zip(row, column, strict=True):
        if isinstance(x, float) and isinstance(y, float):
            term: NDArray[np.float64] | float = x * y
        elif isinstance(x, float):
            term = y if x == 1.0 else x * y
        elif isinstance(y, float):
            term = x if y == 1.0 else x * y
        else:
            term = x * y
        if not (isinstance(term, float) and term == 0.0):
            total = term if isinstance(total, float) and total == 0.0 else total + term
    return total


def _euler_entries(seq: str, angles: NDArray[np.float64]) -> Entries:
    """``Rotation.from_euler(seq, angles, degrees=True)`` for three-axis sequences, as 3×3 entries of (n,) arrays.

    Uppercase axes are intrinsic (R1 R2 R3), lowercase extrinsic (R3 R2 R1), as in scipy. Composed element by element
    in numpy: scipy 1.17 spends about 5 µs a rotation in ``from_euler`` (5 s for a million particles), and even a
    quaternion composition through ``Rotation.from_quat`` costs several times this.
    """
    radians = np.radians(np.asarray(angles, dtype=np.float64).reshape(-1, 3))
    elementary = [_axis_rotation(axis, radians[:, index]) for index, axis in enumerate(seq.lower())]
    first, second, third = elementary if seq.isupper() else elementary[::-1]
    return _product(_product(first, second), third)


def _matrices(entries: Entries, count: int) -> Matrices:
    """(count, 3, 3) matrices from 3×3 entries (arrays or constants)."""
    matrices = np.empty((count, 3, 3))
    for i in range(3):
        for j in range(3):
            matrices[:, i, j] = entries[i][j]
    return matrices


def _euler_matrices(seq: str, angles: NDArray[np.float64]) -> Matrices:
    """The rotation matrices of Euler ``angles`` (n, 3) in degrees for ``seq`` (scipy's notation)."""
    return _matrices(_euler_entries(seq, angles), len(angles))


def _inverse_euler_matrices(seq: str, angles: NDArray[np.float64]) -> Matrices:
    """The transposes (inverses) of :func:`_euler_matrices`, built transposed rather than copied."""
    entries = _euler_entries(seq, angles)
    return _matrices([[entries[j][i] for j in range(3)] for i in range(3)], len(angles))


def relion_to_matrix(rot: ArrayLike, tilt: ArrayLike, psi: ArrayLike) -> Matrices:
    """RELION ``rlnAngleRot/Tilt/Psi`` (also TOMOMAN and RELION 4/5): intrinsic ZYZ, inverted."""
    return _inverse_euler_matrices("ZYZ", _stack(rot, tilt, psi))


def matrix_to_relion(matrices: Matrices) -> NDArray[np.float64]:
    """The inverse of :func:`relion_to_matrix`: (n, 3) columns rot, tilt, psi in degrees."""
    with warnings.catch_warnings():
        # Gimbal lock (tilt 0 or 180) has infinitely many answers; scipy picks psi = 0, which is still exact.
        warnings.filterwarnings("ignore", message="Gimbal lock", category=UserWarning)
        return np.asarray(Rotation.from_matrix(matrices).inv().as_euler("ZYZ", degrees=True))


def stopgap_to_matrix(phi: ArrayLike, the: ArrayLike, psi: ArrayLike) -> Matrices:
    """STOPGAP motivelist ``phi, the, psi``: extrinsic zxz, not inverted."""
    return _euler_matrices("zxz", _stack(phi, the, psi))


def dynamo_to_matrix(tdrot: ArrayLike, tilt: ArrayLike, narot: ArrayLike) -> Matrices:
    """Dynamo table ``tdrot, tilt, narot``: extrinsic zxz, inverted."""
    return _inverse_euler_matrices("zxz", _stack(tdrot, tilt, narot))


def tom_to_matrix(phi: ArrayLike, theta: ArrayLike, psi: ArrayLike) -> Matrices:
    """TOM / AV3 motivelist ``phi, theta, psi`` (rows 17, 19, 18): extrinsic zxz, not inverted."""
    return _euler_matrices("zxz", _stack(phi, theta, psi))


def imod_slicer_to_matrix(x: ArrayLike, y: ArrayLike, z: ArrayLike) -> Matrices:
    """IMOD slicer angles ``x, y, z``: extrinsic xyz of the negated angles."""
    angles = -_stack(x, y, z)
    return _euler_matrices("xyz", angles)


def reverse_axes(matrices: Matrices) -> Matrices:
    """The matrix for positions whose columns were reversed (``order: zyx``): ``M[::-1, ::-1]``."""
    return np.ascontiguousarray(matrices[..., ::-1, ::-1])


def rotation_defects(matrices: Matrices, tolerance: float = 1e-6) -> NDArray[np.intp]:
    """Indices of matrices that are not proper rotations (orthonormal with determinant +1 within tolerance)."""
    flat = np.asarray(matrices, dtype=np.float64).reshape(-1, 9)
    errors = np.concatenate(
        [[], *(_rotation_errors(flat[start : start + 65536]) for start in range(0, len(flat), 65536))]
    )
    return np.flatnonzero(~(errors <= tolerance))  # NaN errors (non-finite elements) are defects too


def _rotation_errors(flat: NDArray[np.float64]) -> NDArray[np.float64]:
    """max(|MᵀM − I|, |det M − 1|) per matrix of ``flat`` (n, 9), element by element over cache-sized chunks.

    Batched 3×3 ``einsum`` and ``det`` cost about five times as much for a million matrices.
    """
    m = [np.ascontiguousarray(flat[:, index]) for index in range(9)]  # m[3 * row + column]
    errors = np.zeros(len(flat))
    for i in range(3):
        for k in range(i, 3):
            gram = m[i] * m[k] + m[3 + i] * m[3 + k] + m[6 + i] * m[6 + k]
            np.maximum(errors, np.abs(gram - 1.0) if i == k else np.abs(gram), out=errors)
    determinant = (
        m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
    )
    return np.maximum(errors, np.abs(determinant - 1.0))
