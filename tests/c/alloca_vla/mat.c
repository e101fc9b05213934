long matmul_trace(int n, int a[n][n], int b[n][n])
{
    long c[n][n];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            c[i][j] = 0;
            for (int k = 0; k < n; k++)
                c[i][j] += (long)a[i][k] * b[k][j];
        }
    long t = 0;
    for (int i = 0; i < n; i++)
        t += c[i][i];
    return t;
}
