using BenchmarkDotNet.Running;

// Run by hand, e.g.: dotnet run -c Release --project tests/FishLeg.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
