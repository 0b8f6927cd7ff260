from pydantic import BaseModel

from moose_ts import ConsumerConfig, IngestPipeline, IngestPipelineConfig, Stream, TransformConfig


class UserEvent(BaseModel):
    id: str
    email: str


user_events = IngestPipeline[UserEvent]("UserEvents", IngestPipelineConfig(table=True, stream=True, ingest_api=True, dead_letter_queue=True))
enriched = Stream[UserEvent]("Enriched")


def lower_email(event: UserEvent) -> UserEvent:
    return UserEvent(id=event.id, email=event.email.lower())


def audit(event: UserEvent) -> None:
    pass


user_events.stream.add_transform(enriched, lower_email, TransformConfig(dead_letter_queue=user_events.dead_letter_queue))
enriched.add_transform(user_events.stream, lower_email, TransformConfig(version="2"))
enriched.add_consumer(audit, ConsumerConfig(version="1.0"))
