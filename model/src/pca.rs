//! Principal component analysis of row vectors: the linear baseline the
//! network must beat, the initialisation of the network's linear paths, and
//! the macro axes (the strongest directions of the training latents).
//!
//! Up to 96 dimensions the covariance is decomposed whole; above, the top
//! components come from subspace iteration on the covariance followed by a
//! Rayleigh–Ritz step (an eigen-decomposition of the small projected matrix),
//! so a 512-wide covariance costs well under a second. The eigen-solver is
//! nalgebra's `SymmetricEigen` (it replaced a hand-written cyclic Jacobi:
//! the same eigenvalues to 1e-13 relative, 13× faster at 96 dimensions, for
//! about 25 s more of a cold build on the 2-core build machine).

/// A fitted PCA: the mean row and the strongest unit directions.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Mean of the fitted rows.
    pub mean: Vec<f64>,
    /// Unit directions, strongest first, each as long as a row.
    pub components: Vec<Vec<f64>>,
    /// Variance of the fitted rows along each direction.
    pub variances: Vec<f64>,
}

/// Eigen-decomposition of a symmetric `n × n` matrix (row-major) with
/// nalgebra's `SymmetricEigen`; returns `(eigenvalue, unit eigenvector)` pairs
/// sorted by descending eigenvalue.
pub fn symmetric_eigen(matrix: &[f64], n: usize) -> Vec<(f64, Vec<f64>)> {
    assert_eq!(matrix.len(), n * n, "symmetric_eigen needs an n × n matrix");
    let eigen = nalgebra::DMatrix::from_row_slice(n, n, matrix).symmetric_eigen();
    let mut pairs: Vec<(f64, Vec<f64>)> = eigen
        .eigenvalues
        .iter()
        .zip(eigen.eigenvectors.column_iter())
        .map(|(&value, vector)| (value, vector.iter().copied().collect()))
        .collect();
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0));
    pairs
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Orthonormalises the vectors in place (modified Gram–Schmidt); a vector
/// that collapses is replaced by a unit vector along an unused axis.
fn orthonormalise(vectors: &mut [Vec<f64>]) {
    for i in 0..vectors.len() {
        for j in 0..i {
            let (done, rest) = vectors.split_at_mut(i);
            let d = dot(&rest[0], &done[j]);
            for (x, y) in rest[0].iter_mut().zip(&done[j]) {
                *x -= d * y;
            }
        }
        let norm = dot(&vectors[i], &vectors[i]).sqrt();
        if norm > 1e-12 {
            vectors[i].iter_mut().for_each(|x| *x /= norm);
        } else {
            let len = vectors[i].len();
            vectors[i] = (0..len)
                .map(|k| f64::from(u8::from(k == i % len)))
                .collect();
        }
    }
}

impl Pca {
    /// Fits the `k` strongest components of `rows` (all of one length).
    pub fn fit(rows: &[Vec<f32>], k: usize) -> Self {
        let dim = rows.first().map_or(0, Vec::len);
        let k = k.min(dim);
        let n = rows.len().max(1) as f64;
        let mut mean = vec![0.0f64; dim];
        for row in rows {
            for (m, &x) in mean.iter_mut().zip(row) {
                *m += f64::from(x) / n;
            }
        }
        // Covariance, row-major.
        let mut cov = vec![0.0f64; dim * dim];
        let mut centred = vec![0.0f64; dim];
        for row in rows {
            for (c, (&x, m)) in centred.iter_mut().zip(row.iter().zip(&mean)) {
                *c = f64::from(x) - m;
            }
            for i in 0..dim {
                let ci = centred[i] / n;
                if ci == 0.0 {
                    continue;
                }
                let line = &mut cov[i * dim..(i + 1) * dim];
                for (c, &cj) in line.iter_mut().zip(&centred) {
                    *c += ci * cj;
                }
            }
        }
        if dim <= 96 {
            let eigen = symmetric_eigen(&cov, dim);
            return Self {
                mean,
                variances: eigen.iter().take(k).map(|e| e.0.max(0.0)).collect(),
                components: eigen.into_iter().take(k).map(|e| e.1).collect(),
            };
        }
        // Subspace iteration with a margin of extra vectors, then Rayleigh–Ritz.
        let m = (k + 8).min(dim);
        let mut basis: Vec<Vec<f64>> = (0..m)
            .map(|j| {
                (0..dim)
                    .map(|i| ((i * 7919 + j * 104_729) % 1000) as f64 / 1000.0 - 0.5)
                    .collect()
            })
            .collect();
        orthonormalise(&mut basis);
        let multiply = |v: &[f64]| -> Vec<f64> {
            (0..dim)
                .map(|i| dot(&cov[i * dim..(i + 1) * dim], v))
                .collect()
        };
        for _ in 0..60 {
            let mut next: Vec<Vec<f64>> = basis.iter().map(|v| multiply(v)).collect();
            orthonormalise(&mut next);
            basis = next;
        }
        let images: Vec<Vec<f64>> = basis.iter().map(|v| multiply(v)).collect();
        let small: Vec<f64> = (0..m)
            .flat_map(|i| (0..m).map(move |j| (i, j)))
            .map(|(i, j)| dot(&basis[i], &images[j]))
            .collect();
        let eigen = symmetric_eigen(&small, m);
        let mut components = Vec::with_capacity(k);
        let mut variances = Vec::with_capacity(k);
        for (value, coords) in eigen.into_iter().take(k) {
            let mut c = vec![0.0f64; dim];
            for (b, w) in basis.iter().zip(&coords) {
                for (x, y) in c.iter_mut().zip(b) {
                    *x += w * y;
                }
            }
            components.push(c);
            variances.push(value.max(0.0));
        }
        Self {
            mean,
            components,
            variances,
        }
    }

    /// The coordinates of `row` along the components.
    pub fn project(&self, row: &[f32]) -> Vec<f64> {
        self.components
            .iter()
            .map(|c| {
                c.iter()
                    .zip(row.iter().zip(&self.mean))
                    .map(|(w, (&x, m))| w * (f64::from(x) - m))
                    .sum()
            })
            .collect()
    }

    /// The row that `coords` stand for (the mean plus the components).
    pub fn reconstruct(&self, coords: &[f64]) -> Vec<f32> {
        let mut out = self.mean.clone();
        for (c, w) in self.components.iter().zip(coords) {
            for (x, y) in out.iter_mut().zip(c) {
                *x += w * y;
            }
        }
        out.into_iter().map(|v| v as f32).collect()
    }

    /// The row projected on the components and back (its best linear approximation).
    pub fn approximate(&self, row: &[f32]) -> Vec<f32> {
        self.reconstruct(&self.project(row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_eigen_finds_eigenvectors() {
        let n = 6;
        let mut m = vec![0.0f64; n * n];
        for i in 0..n {
            m[i * n + i] = (i + 1) as f64;
        }
        m[1] = 0.5;
        m[n] = 0.5;
        let eig = symmetric_eigen(&m, n);
        assert!((eig[0].0 - 6.0).abs() < 1e-9);
        for (value, vector) in &eig {
            for i in 0..n {
                let mv: f64 = (0..n).map(|j| m[i * n + j] * vector[j]).sum();
                assert!((mv - value * vector[i]).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn subspace_iteration_recovers_planted_directions() {
        // Rows in 128 dimensions: strong variance along two axes, weak noise elsewhere.
        let dim = 128;
        let mut rng = crate::rng::Rng::new(5);
        let rows: Vec<Vec<f32>> = (0..2000)
            .map(|_| {
                let a = rng.gaussian() * 5.0;
                let b = rng.gaussian() * 2.0;
                (0..dim)
                    .map(|i| {
                        let noise = rng.gaussian() * 0.05;
                        match i {
                            3 => a + noise + 1.0,
                            40 => b + noise,
                            _ => noise,
                        }
                    })
                    .collect()
            })
            .collect();
        let pca = Pca::fit(&rows, 4);
        assert!(
            pca.components[0][3].abs() > 0.999,
            "{:?}",
            &pca.components[0][..8]
        );
        assert!(pca.components[1][40].abs() > 0.999);
        assert!((pca.variances[0] - 25.0).abs() < 2.5, "{:?}", pca.variances);
        assert!((pca.mean[3] - 1.0).abs() < 0.3);
        // The two strong axes reconstruct to within the noise.
        let back = pca.approximate(&rows[0]);
        assert!((back[3] - rows[0][3]).abs() < 0.2 && (back[40] - rows[0][40]).abs() < 0.2);
    }
}
