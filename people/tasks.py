from celery import shared_task

from people.signin import failures_prune


@shared_task
def signin_failures_prune() -> int:
    return failures_prune()
