using System;
using System.Runtime.InteropServices;

namespace FishLeg.Benchmarks;

/// <summary>
/// The system OpenBLAS (Debian's libopenblas0), the benchmarks' reference for GEMM speed. The library itself stays
/// managed; only the benchmark project calls this.
/// </summary>
internal static unsafe partial class OpenBlas
{
    private const string Library = "libopenblas.so.0";
    private const int RowMajor = 101, NoTranspose = 111, Transpose = 112;

    /// <summary>Limits OpenBLAS to <paramref name="threads"/> threads; says how to install it when it is missing.</summary>
    public static void SetThreads(int threads)
    {
        try
        {
            openblas_set_num_threads(threads);
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException("The OpenBLAS baseline needs the system OpenBLAS: apt-get install libopenblas0.", e);
        }
    }

    /// <summary>Row-major C = op(A)·op(B), as <see cref="Kernels.Gemm.Multiply{T}"/>.</summary>
    public static void Sgemm(bool transposeA, bool transposeB, int m, int n, int k, float[] a, int lda, float[] b, int ldb, float[] c, int ldc)
    {
        fixed (float* pa = a, pb = b, pc = c)
            cblas_sgemm(RowMajor, transposeA ? Transpose : NoTranspose, transposeB ? Transpose : NoTranspose, m, n, k,
                1f, pa, lda, pb, ldb, 0f, pc, ldc);
    }

    /// <summary>
    /// The inverse of a symmetric positive-definite matrix by LAPACK's Cholesky routines (spotrf, then spotri, which writes
    /// the inverse's lower triangle); true when the matrix was positive definite.
    /// </summary>
    public static bool CholeskyInverse(int n, float[] a)
    {
        // The Fortran entry points (Debian's build exports no LAPACKE): column-major, which for a symmetric matrix is the
        // same matrix.
        byte lower = (byte)'L';
        int info;
        fixed (float* pa = a)
        {
            spotrf_(&lower, &n, pa, &n, &info);
            if (info != 0) return false;
            spotri_(&lower, &n, pa, &n, &info);
            return info == 0;
        }
    }

    /// <summary>
    /// LAPACK's divide-and-conquer eigensolver ssyevd on a symmetric matrix: the eigenvalues ascending in
    /// <paramref name="values"/>, the eigenvectors over <paramref name="a"/> (columns of the column-major matrix: the
    /// transpose of <see cref="Kernels.SymmetricEigen{T}"/>'s row-major Z, the same work). The work arrays come from the caller.
    /// </summary>
    public static bool Eigen(int n, float[] a, float[] values, float[] work, int[] integerWork)
    {
        byte vectors = (byte)'V', lower = (byte)'L';
        int lwork = work.Length, liwork = integerWork.Length, info;
        fixed (float* pa = a, pw = values, pwork = work)
        fixed (int* piwork = integerWork)
            ssyevd_(&vectors, &lower, &n, pa, &n, pw, pwork, &lwork, piwork, &liwork, &info);
        return info == 0;
    }

    /// <summary>ssyevd's work array lengths for order n with eigenvectors: 1 + 6n + 2n² floats and 3 + 5n integers.</summary>
    public static (int Floats, int Integers) EigenWorkspace(int n) => (1 + 6 * n + 2 * n * n, 3 + 5 * n);

    /// <summary>The kernel OpenBLAS chose for this CPU (it reports a slower one when OPENBLAS_CORETYPE pins it).</summary>
    public static string CoreName => Marshal.PtrToStringAnsi(openblas_get_corename()) ?? "?";

    [LibraryImport(Library)]
    private static partial void openblas_set_num_threads(int threads);

    [LibraryImport(Library)]
    private static partial nint openblas_get_corename();

    [LibraryImport(Library)]
    private static partial void spotrf_(byte* uplo, int* n, float* a, int* lda, int* info);

    [LibraryImport(Library)]
    private static partial void spotri_(byte* uplo, int* n, float* a, int* lda, int* info);

    [LibraryImport(Library)]
    private static partial void ssyevd_(byte* jobz, byte* uplo, int* n, float* a, int* lda, float* w, float* work, int* lwork, int* iwork, int* liwork, int* info);

    [LibraryImport(Library)]
    private static partial void cblas_sgemm(int order, int transposeA, int transposeB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);
}
