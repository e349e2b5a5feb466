using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace FishLeg.Generators;

/// <summary>
/// Builds C# text with four-space indentation and LF line ends, whatever the host's conventions. Lines longer than
/// <see cref="Width"/> are wrapped: code after the commas of its argument lists (shallowest first, continuation lines
/// indented one more level), then, for a long expression without such commas, before its shallowest binary operators;
/// comments between words.
/// </summary>
internal sealed class SourceWriter
{
    public const int Width = 150;
    private readonly StringBuilder _text = new();
    private int _indent;

    public SourceWriter Line(string line = "")
    {
        string indent = new(' ', _indent * 4);
        if (line.Length == 0) _text.Append('\n');
        else foreach (string piece in Wrap(line, Width - indent.Length)) _text.Append(indent).Append(piece).Append('\n');
        return this;
    }

    /// <summary>Short statements side by side, as many to a line as fit in <see cref="Width"/>.</summary>
    public SourceWriter Statements(IEnumerable<string> statements)
    {
        int width = Width - _indent * 4;
        var current = new StringBuilder();
        foreach (string statement in statements)
        {
            if (current.Length > 0 && current.Length + 1 + statement.Length > width)
            {
                Line(current.ToString());
                current.Clear();
            }
            current.Append(current.Length == 0 ? "" : " ").Append(statement);
        }
        if (current.Length > 0) Line(current.ToString());
        return this;
    }

    public SourceWriter Open(string line)
    {
        Line(line);
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string suffix = "")
    {
        _indent--;
        return Line("}" + suffix);
    }

    public override string ToString() => _text.ToString();

    private static IReadOnlyList<string> Wrap(string line, int width)
    {
        if (line.Length <= width) return [line];
        string trimmed = line.TrimStart();
        if (trimmed.StartsWith("//")) return WrapComment(line, width);
        List<int> commas = Commas(line, out int deepest);
        for (int depth = 1; depth <= deepest; depth++)
        {
            List<string> pieces = Pack(line, commas.FindAll(c => Depth(line, c) <= depth), width);
            if (pieces.TrueForAll(p => p.Length <= width) || depth == deepest) return pieces.SelectMany(p => AtOperators(p, width)).ToList();
        }
        return AtOperators(line, width);
    }

    /// <summary>A line still too long, broken before the binary operators of its shallowest level that has any.</summary>
    private static List<string> AtOperators(string line, int width)
    {
        if (line.Length <= width) return [line];
        var operators = new List<(int Position, int Depth)>();
        int depth = 0;
        bool inString = false;
        for (int i = 1; i + 2 < line.Length; i++)
        {
            char c = line[i];
            if (inString) { if (c == '\\') i++; else if (c == '"') inString = false; continue; }
            if (c == '"') inString = true;
            else if (c is '(' or '[') depth++;
            else if (c is ')' or ']') depth--;
            else if (c == ' ' && line[i + 2] == ' ' && line[i + 1] is '+' or '-' or '*' or '/' or '?' or ':') operators.Add((i, depth));
        }
        if (operators.Count == 0) return [line];
        int shallowest = operators.Min(o => o.Depth);
        var pieces = new List<string>();
        var current = new StringBuilder();
        int start = 0;
        foreach (int position in operators.Where(o => o.Depth == shallowest).Select(o => o.Position).Append(line.Length))
        {
            string segment = line.Substring(start, position - start);
            if (current.Length > 0 && current.Length + segment.Length > width)
            {
                pieces.Add(current.ToString().TrimEnd());
                current.Clear().Append("    ");
                segment = segment.TrimStart();
            }
            current.Append(segment);
            start = position;
        }
        pieces.Add(current.ToString().TrimEnd());
        return pieces;
    }

    /// <summary>Greedily joins the segments between the given commas into lines of at most <paramref name="width"/>.</summary>
    private static List<string> Pack(string line, List<int> commas, int width)
    {
        var pieces = new List<string>();
        var current = new StringBuilder();
        int start = 0;
        foreach (int comma in commas.Append(line.Length - 1))
        {
            string segment = line.Substring(start, comma + 1 - start);
            if (current.Length > 0 && current.Length + segment.Length > width)
            {
                pieces.Add(current.ToString().TrimEnd());
                current.Clear().Append("    ");
                segment = segment.TrimStart();
            }
            current.Append(segment);
            start = comma + 1;
        }
        pieces.Add(current.ToString().TrimEnd());
        return pieces;
    }

    /// <summary>The commas that separate arguments (outside string and character literals), and the deepest nesting.</summary>
    private static List<int> Commas(string line, out int deepest)
    {
        var commas = new List<int>();
        deepest = 0;
        int depth = 0;
        bool inString = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (inString) { if (c == '\\') i++; else if (c == '"') inString = false; continue; }
            switch (c)
            {
                case '"': inString = true; break;
                case '(' or '[': depth++; break;
                case ')' or ']': depth--; break;
                case ',' when depth > 0 && i + 1 < line.Length && line[i + 1] == ' ':
                    commas.Add(i);
                    if (depth > deepest) deepest = depth;
                    break;
            }
        }
        return commas;
    }

    private static int Depth(string line, int position)
    {
        int depth = 0;
        bool inString = false;
        for (int i = 0; i < position; i++)
        {
            char c = line[i];
            if (inString) { if (c == '\\') i++; else if (c == '"') inString = false; continue; }
            if (c == '"') inString = true;
            else if (c is '(' or '[') depth++;
            else if (c is ')' or ']') depth--;
        }
        return depth;
    }

    /// <summary>A comment broken between words, each line with the comment's own prefix ("// " or "/// ").</summary>
    private static List<string> WrapComment(string line, int width)
    {
        string prefix = line.StartsWith("///") ? "/// " : "// ";
        var pieces = new List<string>();
        var current = new StringBuilder();
        foreach (string word in line.Substring(prefix.Length).Split(' '))
        {
            if (current.Length > prefix.Length && current.Length + 1 + word.Length > width)
            {
                pieces.Add(current.ToString());
                current.Clear();
            }
            current.Append(current.Length == 0 ? prefix : " ").Append(word);
        }
        pieces.Add(current.ToString());
        return pieces;
    }
}
