namespace AlignmentFaking.Running;

/// <summary>How a failed model call is handled: retried (after how long), recorded, or fatal to the whole run.</summary>
public enum CallFailureKind
{
    /// <summary>Transient (429, 5xx, dropped connection, malformed or truncated body, no choices): retried, bounded.</summary>
    Transient,

    /// <summary>
    /// Permanent for this call (e.g. 400 for one request, or a well-formed reply the client library rejects, such as an
    /// unknown finish reason or content type): not retried; the sample records the error.
    /// </summary>
    Permanent,

    /// <summary>Permanent for every call (401, 403, 404: a wrong key, model or URL): the run stops at once.</summary>
    Fatal,
}
