using Microsoft.CodeAnalysis;

namespace FishLeg.Generators.Model;

/// <summary>
/// What parsing one declaration produced: a spec to emit, or none, and the diagnostics to report. The diagnostics keep
/// their original <see cref="Location"/> (a location rebuilt from values loses <c>#pragma warning disable</c>, see
/// dotnet/runtime#92509); they feed only the diagnostics output, and an edit elsewhere leaves them cached because the
/// transform does not run again for an unchanged tree.
/// </summary>
internal sealed record ParseResult(ModelSpec? Model, EquatableArray<Diagnostic> Diagnostics);
