"""Distribution scores over classifier outputs: Fréchet distance and the Inception-style score."""

from __future__ import annotations

import numpy as np

from midistyle.errors import InputError


def gaussian_statistics(embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of embeddings.

    Parameters
    ----------
    embeddings : np.ndarray, shape=(N, D)

    Returns
    -------
    mean : np.ndarray, shape=(D,)
    covariance : np.ndarray, shape=(D, D)
    """
    embeddings = np.asarray(embeddings, dtype=np.float64)
    if embeddings.ndim != 2 or len(embeddings) < 2:
        raise InputError(f"need at least 2 embeddings of shape (N, D), got shape {embeddings.shape}")
    return embeddings.mean(axis=0), np.cov(embeddings, rowvar=False)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two embedding sets (the FID formula).

    ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))``; 0 for identical statistics.

    Parameters
    ----------
    a, b : np.ndarray, shape=(N, D) and (M, D)
    """
    mean_a, cov_a = gaussian_statistics(a)
    mean_b, cov_b = gaussian_statistics(b)
    # tr((S_a S_b)^(1/2)) = sum of sqrt(eigenvalues of S_a^(1/2) S_b S_a^(1/2)), a symmetric PSD
    # matrix: stable when a covariance is singular (ReLU embeddings have dimensions that never fire).
    root_a = _psd_sqrt(cov_a)
    cross = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = np.sqrt(np.clip(cross, 0, None)).sum()
    distance = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root
    return float(max(distance, 0.0))


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def inception_score(probabilities: np.ndarray) -> float:
    """``exp(E_x KL(p(y|x) || p(y)))``: high when each window is confidently one class and classes vary.

    Ranges from 1 (every window gets the same distribution) to the number of classes.

    Parameters
    ----------
    probabilities : np.ndarray, shape=(N, K)
    """
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1.0)
    marginal = p.mean(axis=0, keepdims=True)
    return float(np.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1))))


def accept_rate(probabilities: np.ndarray, class_index: int) -> float:
    """Share of windows whose most probable class is ``class_index``."""
    return float(np.mean(np.argmax(probabilities, axis=1) == class_index))
