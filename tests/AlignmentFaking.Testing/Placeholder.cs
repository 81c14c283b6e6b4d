namespace AlignmentFaking.Testing; internal static class Placeholder { }
