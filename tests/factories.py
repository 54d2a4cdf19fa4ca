import factory

from tasks.choices import Role
from tasks.demo import DEMO_PASSWORD
from tasks.models import Unit, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.UNIT_STAFF
    password = factory.PostGenerationMethodCall("set_password", DEMO_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @classmethod
    def in_unit(cls, unit_name: str, **kwargs) -> User:
        return cls(unit=Unit.objects.get(name=unit_name), **kwargs)
