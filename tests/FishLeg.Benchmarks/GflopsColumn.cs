using System;
using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace FishLeg.Benchmarks;

/// <summary>GFLOP/s = 2 × the multiply-adds a benchmark case does by a given count / its median time; "-" where there is no count.</summary>
internal sealed class GflopsColumn(string legend, Func<BenchmarkCase, double?> multiplyAdds) : IColumn
{
    public string Id => "GFLOPs";
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => legend;
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? median = summary[benchmarkCase]?.ResultStatistics?.Median;
        return median is double ns && multiplyAdds(benchmarkCase) is double count
            ? (2 * count / ns).ToString("F1", CultureInfo.InvariantCulture)
            : "-";
    }
}
