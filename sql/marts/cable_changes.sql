-- one row per pair of consecutive versions of a cable seen in several viewer builds (older to newer): what changed, with the cable's current subject and origin
-- reference_id: the cable
-- subject: the cable's current subject (cable.subject)
-- origin: the cable's origin (cable.origin)
-- to_version_rank: the newer version's rank (1 = the current version; the oldest pair comes first)
-- from_released_at: Released date of the older version
-- to_released_at: Released date of the newer version
-- from_build_stamp: viewer build of the older version's page (_history/<stamp>/); null for a mirror's current pages
-- to_build_stamp: viewer build of the newer version's page
-- changed: fields that differ, of released_at, created_at, classification, origin, subject, tags, header, body
-- text_changed: whether anything but the Released date changed
-- from_classification: classification of the older version
-- to_classification: classification of the newer version
-- from_subject: subject of the older version
-- to_subject: subject of the newer version
-- tags_added: tags of the newer version that the older lacks
-- tags_removed: tags of the older version that the newer lacks
-- body_chars_change: characters the body gained (negative: lost)
-- body_diff: unified diff of the bodies by line (2 lines of context); null when the bodies are equal
-- from_content_sha256: the older version (cable_version.content_sha256)
-- to_content_sha256: the newer version

with

final as (
    select
        change.reference_id,
        cable.subject,
        cable.origin,
        change.to_version_rank,
        change.from_released_at,
        change.to_released_at,
        change.from_build_stamp,
        change.to_build_stamp,
        change.changed,
        len(list_filter(change.changed, field -> field != 'released_at')) > 0 as text_changed,
        change.from_classification,
        change.to_classification,
        change.from_subject,
        change.to_subject,
        change.tags_added,
        change.tags_removed,
        change.to_body_chars - change.from_body_chars as body_chars_change,
        change.body_diff,
        change.from_content_sha256,
        change.to_content_sha256,
    from cable_change as change
    inner join cable using (reference_id)
)

select * from final
order by reference_id, to_version_rank desc
